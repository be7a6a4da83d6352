-- Connection endpoints by IP: when a server registers an IP, intake fills in
-- the server of connections seen before, whose endpoint was then unknown.
CREATE INDEX connections_by_source_ip ON connections (account_id, source_ip);
CREATE INDEX connections_by_destination_ip ON connections (account_id, destination_ip);
