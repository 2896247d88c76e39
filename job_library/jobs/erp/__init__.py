"""Jobs of the ERP module: the HR and payroll file integrations."""
