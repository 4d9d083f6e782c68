#!/bin/sh
# Label the archive article by article, then report the opinion share per section and month, with a chart.
#
#     sh examples/opinion_by_month.sh [OUTPUT_FOLDER]     # default: the current folder
#
# Writes archive-scores.csv (one row per article: its sentences, opinion sentences, opinion share and language)
# and opinion-by-month.html (the chart), and prints the report's table.
set -eu
here=$(dirname "$0")
out=${1:-.}
factopinion label "$here/archive.csv" --documents --keep id,date,section -o "$out/archive-scores.csv" --force --quiet
factopinion report "$out/archive-scores.csv" --by section --period month --html "$out/opinion-by-month.html" --force
