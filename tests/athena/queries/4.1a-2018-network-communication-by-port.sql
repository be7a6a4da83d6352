WITH valid_ips AS
(SELECT DISTINCT source_ip
FROM outbound_connection_agent ), outer_query AS
(SELECT agent_id,
source_ip,
destination_ip,
destination_port,
count(*) AS frequency
FROM outbound_connection_agent
WHERE ip_version = 'IPv4'
AND destination_ip IN
(SELECT *
FROM valid_ips)
GROUP BY agent_id, source_ip, destination_ip, destination_port )
SELECT source_ip AS Source,
'Port ' || cast(destination_port AS varchar(20)) AS Edge, destination_ip AS Target, Frequency
FROM outer_query;
