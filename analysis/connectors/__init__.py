"""Live sources over HTTP (Meta Graph API, Shopify, WooCommerce) that yield the shapes the ingest parsers accept."""
