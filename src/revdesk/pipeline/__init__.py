"""Pipeline analytics, CRM hygiene and stage discipline."""
