CREATE TABLE iana_service_ports_import AS
SELECT "Service Name" AS ServiceName, TRY_CAST("Port Number" AS INTEGER) AS PortNumber,
       "Transport Protocol" AS TransportProtocol, Description, Assignee, Contact,
       "Registration Date" AS RegistrationDate, "Modification Date" AS ModificationDate,
       Reference, "Service Code" AS ServiceCode,
       "Unauthorized Use Reported" AS UnauthorizedUseReported, "Assignment Notes" AS AssignmentNotes
FROM read_csv('service-names-port-numbers.csv', header=true, all_varchar=true);
