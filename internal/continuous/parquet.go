package continuous

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/format"
)

// Parquet files are compressed with Snappy, as Firehose's record format
// conversion does by default.
var codec = &snappy.Codec{}

// schemas are the Parquet schemas of the tables, by table.
var schemas = map[string]*parquet.Schema{
	TableOSInfo:           parquet.SchemaOf(OSInfoRow{}),
	TableNetworkInterface: parquet.SchemaOf(NetworkInterfaceRow{}),
	TableSysPerformance:   parquet.SchemaOf(SysPerformanceRow{}),
	TableProcesses:        parquet.SchemaOf(ProcessRow{}),
	TableInbound:          parquet.SchemaOf(ConnectionRow{}),
	TableOutbound:         parquet.SchemaOf(ConnectionRow{}),
	TableIDMapping:        parquet.SchemaOf(IDMappingRow{}),
}

// encode writes rows as one Parquet file.
func encode[T any](w io.Writer, table string, rows []T) error {
	pw := parquet.NewGenericWriter[T](w, schemas[table], parquet.Compression(codec),
		parquet.CreatedBy("poseidon", "continuous-export", ""))
	if len(rows) > 0 {
		if _, err := pw.Write(rows); err != nil {
			return err
		}
	}
	return pw.Close()
}

// encoded returns the Parquet files of a delivery, by table; tables without
// rows have none.
func (rs *rows) encoded() (map[string][]byte, error) {
	out := map[string][]byte{}
	var err error
	put := func(table string, n int, enc func(w io.Writer) error) {
		if n == 0 || err != nil {
			return
		}
		var b bytes.Buffer
		if err = enc(&b); err == nil {
			out[table] = b.Bytes()
		}
	}
	put(TableOSInfo, len(rs.osInfo), func(w io.Writer) error { return encode(w, TableOSInfo, rs.osInfo) })
	put(TableNetworkInterface, len(rs.nics), func(w io.Writer) error { return encode(w, TableNetworkInterface, rs.nics) })
	put(TableSysPerformance, len(rs.perf), func(w io.Writer) error { return encode(w, TableSysPerformance, rs.perf) })
	put(TableProcesses, len(rs.procs), func(w io.Writer) error { return encode(w, TableProcesses, rs.procs) })
	put(TableInbound, len(rs.inbound), func(w io.Writer) error { return encode(w, TableInbound, rs.inbound) })
	put(TableOutbound, len(rs.outbound), func(w io.Writer) error { return encode(w, TableOutbound, rs.outbound) })
	put(TableIDMapping, len(rs.ids), func(w io.Writer) error { return encode(w, TableIDMapping, rs.ids) })
	return out, err
}

// emptyFile is a Parquet file of table with its schema and no rows.
func emptyFile(table string) ([]byte, error) {
	var b bytes.Buffer
	var err error
	switch table {
	case TableOSInfo:
		err = encode[OSInfoRow](&b, table, nil)
	case TableNetworkInterface:
		err = encode[NetworkInterfaceRow](&b, table, nil)
	case TableSysPerformance:
		err = encode[SysPerformanceRow](&b, table, nil)
	case TableProcesses:
		err = encode[ProcessRow](&b, table, nil)
	case TableInbound, TableOutbound:
		err = encode[ConnectionRow](&b, table, nil)
	case TableIDMapping:
		err = encode[IDMappingRow](&b, table, nil)
	default:
		err = fmt.Errorf("no table %q", table)
	}
	return b.Bytes(), err
}

// SchemaFile is the key, under a table's prefix, of the file that holds the
// table's schema and no rows. Athena skips objects whose name starts with
// "_"; DuckDB's views (DuckDBScript) read it with the data, so that a table
// without data yet is an empty table rather than an error.
const SchemaFile = "_schema.parquet"

// The catalogue's keys in the bucket.
const (
	AthenaDDLKey    = "catalogue/athena.sql"
	DuckDBScriptKey = "catalogue/duckdb.sql"
)

// Column is a column of a table: its name and its Athena (Hive) type.
type Column struct{ Name, Type string }

// Columns returns the columns of table, in file order.
func Columns(table string) []Column {
	var cols []Column
	for _, f := range schemas[table].Fields() {
		cols = append(cols, Column{f.Name(), athenaType(f)})
	}
	return cols
}

// athenaType is the Athena type of a Parquet leaf.
func athenaType(f parquet.Field) string {
	t := f.Type()
	if lt := t.LogicalType(); lt != nil {
		if _, ok := lt.Value.(*format.TimestampType); ok {
			return "timestamp"
		}
	}
	switch t.Kind() {
	case parquet.Boolean:
		return "boolean"
	case parquet.Int32:
		return "int"
	case parquet.Int64:
		return "bigint"
	case parquet.Float:
		return "float"
	case parquet.Double:
		return "double"
	}
	return "string"
}

// AthenaDDL returns the statements that define the seven tables over the
// bucket in Athena, as Glue holds them for AWS's continuous export: one
// database, one external Parquet table per stream prefix.
func AthenaDDL(bucket string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- The tables of poseidon's continuous export in bucket %s, for Athena.\n", bucket)
	fmt.Fprintf(&b, "CREATE DATABASE IF NOT EXISTS %s;\n", DatabaseName)
	for _, table := range Tables {
		fmt.Fprintf(&b, "\nCREATE EXTERNAL TABLE IF NOT EXISTS %s.%s (\n", DatabaseName, table)
		cols := Columns(table)
		for i, c := range cols {
			sep := ","
			if i == len(cols)-1 {
				sep = ""
			}
			fmt.Fprintf(&b, "  `%s` %s%s\n", c.Name, c.Type, sep)
		}
		fmt.Fprintf(&b, ")\nSTORED AS PARQUET\nLOCATION 's3://%s/%s/'\nTBLPROPERTIES ('parquet.compression'='SNAPPY');\n", bucket, table)
	}
	return b.String()
}

// DuckDBScript returns the statements that create the seven tables as DuckDB
// views over the bucket's Parquet files. Paths are relative to the bucket:
// run it with the bucket's folder as DuckDB's file_search_path (or working
// directory).
func DuckDBScript() string {
	var b strings.Builder
	b.WriteString("-- The tables of poseidon's continuous export as DuckDB views; paths are relative to the bucket's root\n")
	b.WriteString("-- (run with SET file_search_path = '<bucket folder>', or from that folder).\n")
	for _, table := range Tables {
		fmt.Fprintf(&b, "CREATE OR REPLACE VIEW %s AS SELECT * FROM read_parquet('%s/**/*.parquet');\n", table, table)
	}
	return b.String()
}
