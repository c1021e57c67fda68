"""Japanese identifiers and calendars: 法人番号, 和暦, business days."""
