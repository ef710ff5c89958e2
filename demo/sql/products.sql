-- The products the generated feeds draw from.
SELECT product FROM products
