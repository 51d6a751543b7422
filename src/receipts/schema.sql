-- receipts tables (receipts capability)
SELECT 1;
