SELECT 1 FROM secrets WHERE id = 'sec_rS26tLUb287UTKcU';
