"""Jobs of Student Support Services (SSS): MTSS and ESE."""
