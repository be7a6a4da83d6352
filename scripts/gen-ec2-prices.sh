#!/usr/bin/env bash
# Copies the On-Demand price lists that EC2 recommendation exports embed into
# internal/ec2rec, keeping AWS Regions only (Local Zone and Wavelength groups
# such as us-west-2-lax-1 are dropped), gzip-compressed without a timestamp so
# the output is reproducible. The rows are unchanged; the sources and their
# dates are in ../shared/data/README.md and internal/ec2rec/prices.go.
#
#   scripts/gen-ec2-prices.sh [DATA_DIR]   # default ../shared/data
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data}
for name in ec2-ondemand-prices ec2-ondemand-prices-karpenter; do
  grep -E '^(region|[a-z]{2}(-gov)?-[a-z]+-[0-9]),' "$data/$name.csv" | gzip -n -9 >"internal/ec2rec/$name.csv.gz"
done
