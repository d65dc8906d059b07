"""Revenue data core: users and teams, accounts, contacts, products, opportunities, quotes."""
