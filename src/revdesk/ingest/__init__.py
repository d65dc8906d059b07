"""Importers: Salesforce, HubSpot, the Maven CRM data set and any CSV with a mapping file.

Each source turns its files into canonical Polars frames plus the problems found on the way
(`revdesk.ingest.canonical.Extract`); `revdesk.ingest.service.run_import` validates them against
the database and upserts them by external id inside one transaction.
"""
