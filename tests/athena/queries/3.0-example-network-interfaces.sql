SELECT * FROM network_interface_agent;
