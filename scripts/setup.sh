#!/usr/bin/env bash
# Installs everything forms needs on a fresh Debian machine: Debian packages, a virtualenv, the package.
# Idempotent and quick when nothing changed. Used by `make demo` and `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(
  fonts-ipaexfont-gothic   # Japanese fonts: test forms and documents
  fonts-ipaexfont-mincho
  poppler-utils            # pdftoppm: PNG previews of PDFs in test artefacts
  libpango-1.0-0           # WeasyPrint: 様式2/様式3 as PDF
  libpangoft2-1.0-0
  libharfbuzz-subset0      # WeasyPrint: fast font subsetting (else fontTools, ~8x slower)
  dovecot-imapd            # tests: a real IMAP server on loopback
  postgresql               # tests: a throwaway PostgreSQL cluster on loopback
  chromium                 # tests: the console in a real browser (Playwright drives /usr/bin/chromium)
  fonts-noto-cjk           # Japanese glyphs in the browser's screenshots
  ghostscript              # corpus: the 様式1 printed to PDF through Ghostscript
  libreoffice-writer-nogui # .doc 様式1 converted to .docx (the reader); corpus .docx/.doc; 様式2/様式3 PDFs in bench/documents.py
  libreoffice-calc-nogui   # .xls 様式1 converted to .xlsx (the reader); corpus: .xlsx/.xls saved by LibreOffice
  fonts-seto               # tests: handwriting-style Japanese fonts for the handwritten scans of the corpus
  fonts-yozvox-yozfont
  postfix                  # tests: postfix in front of forms serve (a throwaway instance of its own)
  wamerican                # English words: a katakana loanword of a name as a domain spells it (forms.jp.english)
)
missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  if [[ " ${missing[*]} " == *" postfix "* ]]; then  # no system mail server is set up or started
    echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.setup-stamp
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing Python packages"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  echo "$want" > "$stamp"
fi
