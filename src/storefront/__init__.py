"""Storefront: a domain-cohesive async API blueprint."""
