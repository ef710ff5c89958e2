"""Typed data of the domain: enums, reference rows, rule tables, settings."""
