SELECT DISTINCT SP.AGENT_ID,
OS.OS_NAME,
OS.OS_VERSION,
MAX(SP.total_num_cores) AS Cores,
MAX(SP.total_num_cpus) AS CPU,
MAX(SP.total_disk_size_in_gb) AS StorageTotal,
MAX(SP.total_disk_free_size_in_gb) AS StorageFree,
MAX(SP.total_ram_in_mb) AS RAM,
MAX(SP.total_disk_read_ops_per_sec) AS IOPS_Read,
MAX(SP.total_disk_bytes_written_per_sec_in_kbps) AS IOPS_Write
FROM sys_performance_agent AS SP, OS_INFO_AGENT AS OS
WHERE SP.AGENT_ID = OS.AGENT_ID
GROUP BY SP.AGENT_ID, OS.OS_NAME, OS.OS_VERSION;
