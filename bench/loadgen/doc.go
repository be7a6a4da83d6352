package main

func writeDoc(results, logs, meta, out string) error { return nil }
