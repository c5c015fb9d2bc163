#!/usr/bin/env bash
# LibreOffice recalculates the report's Audit and Checks sheets in the headless tests. Install it when
# it is missing and we may (root with apt-get); otherwise those tests skip and say why.
set -u
command -v soffice >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing LibreOffice Calc (headless) for the workbook recalculation tests..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-calc-nogui) >/dev/null 2>&1
fi
command -v soffice >/dev/null 2>&1 || echo "LibreOffice not available: recalculation tests will be skipped."
