-- calendar tables (calendar capability)
SELECT 1;
