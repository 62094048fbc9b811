#!/usr/bin/env bash
# Renders app-manifests/shopware/manifest.xml for one relay deployment and packs it as a Shopware app.
#
#   scripts/render-shopware-manifest.sh --base-url https://relay.example.com [--name RelayConnector]
#                                       [--secret <app secret> | --store] [--shopware 6.5|6.7.10] [--out build/shopware]
#
# --name must equal Shopware:AppName and --secret Shopware:AppSecret (default: $SHOPWARE_APP_SECRET).
# --store leaves <secret> out: store apps get their secret from the Shopware Account.
# --shopware picks the build: 6.5 (default) for Shopware 6.5.0 to 6.7.9, without <requirements>, which their
# manifest schema refuses; 6.7.10 for 6.7.10 and later, declaring <requirements><public-access/>.
# Output: <out>/<name>/manifest.xml and <out>/<name>.zip (upload in Extensions > My extensions,
# or copy the folder to custom/apps/ and run bin/console app:install --activate <name>).
set -euo pipefail
cd "$(dirname "$0")/.."

base_url="" name="RelayConnector" secret="${SHOPWARE_APP_SECRET:-}" store=0 out="build/shopware" shopware="6.5"
while [ $# -gt 0 ]; do
  case "$1" in
    --base-url) base_url="$2"; shift 2 ;;
    --name) name="$2"; shift 2 ;;
    --secret) secret="$2"; shift 2 ;;
    --store) store=1; shift ;;
    --shopware) shopware="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

base_url="${base_url%/}"
[[ "$base_url" =~ ^https?://[^/?#]+(/[^?#]*)?$ ]] || { echo "--base-url must be the relay's absolute http(s) URL, e.g. https://relay.example.com" >&2; exit 2; }
[[ "$name" =~ ^[A-Za-z0-9_-]+$ ]] || { echo "--name must be letters, digits, '_' or '-' (the app folder name)" >&2; exit 2; }
case "$shopware" in
  6.5) compatibility="~6.5.0 || ~6.6.0 || >=6.7.0 <6.7.10"
       variant=(-e '/<!-- 6.7.10+/,/<!-- \/6.7.10+ -->/d') ;;
  6.7.10) compatibility="~6.7.10 || ~6.8.0"
       variant=(-e '/<!-- 6.7.10+/d' -e '/<!-- \/6.7.10+ -->/d'
                -e 's|shopware/6.6.x/src/Core/Framework/App/Manifest/Schema/manifest-2.0.xsd|shopware/trunk/src/Core/Framework/App/Manifest/Schema/manifest-3.0.xsd|') ;;
  *) echo "--shopware must be 6.5 (Shopware 6.5.0 to 6.7.9) or 6.7.10 (6.7.10 and later)" >&2; exit 2 ;;
esac
if [ "$store" -eq 0 ] && [ -z "$secret" ]; then
  echo "--secret (or SHOPWARE_APP_SECRET) is required unless --store is given" >&2; exit 2
fi

# XML-escape the value, then escape what sed replacements treat specially: backslash, & and the | delimiter.
escape() { printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' | sed -e 's/[\\&|]/\\&/g'; }

mkdir -p "$out/$name"
target="$out/$name/manifest.xml"
sed -e '/<!-- template/,/-->/d' "${variant[@]}" \
    -e "s|__RELAY_BASE_URL__|$(escape "$base_url")|g" \
    -e "s|__APP_NAME__|$(escape "$name")|g" \
    -e "s|__SHOPWARE_COMPATIBILITY__|$(escape "$compatibility")|g" \
    app-manifests/shopware/manifest.xml > "$target"
if [ "$store" -eq 1 ]; then
  sed -i -e '/<secret>__APP_SECRET__<\/secret>/d' "$target"
else
  sed -i -e "s|__APP_SECRET__|$(escape "$secret")|g" "$target"
fi
if grep -q '__[A-Z_]*__' "$target"; then echo "unfilled placeholder in $target" >&2; exit 1; fi

if command -v zip >/dev/null 2>&1; then
  (cd "$out" && rm -f "$name.zip" && zip -qr "$name.zip" "$name")
  echo "$target and $out/$name.zip"
else
  echo "$target (zip not installed: no archive)"
fi
