#!/usr/bin/env bash
# Build the pages' front-end assets into web/static/ (committed, so `make run` needs no npm):
#   - css/equiwait.css: NHS.UK frontend compiled with Sass, without the NHS web font (served only
#     from the NHS's CDN), plus frontend/styles/equiwait.scss;
#   - vendor/nhsuk: the NHS.UK frontend JavaScript and its images;
#   - vendor/swagger-ui, vendor/redoc: the offline API documentation;
#   - tests/browser/vendor/axe.min.js: axe-core for the accessibility checks of the browser tests.
# Versions are pinned by frontend/package.json and package-lock.json (`npm ci`). Running it
# again reproduces the committed files byte for byte (`--check` says whether they differ).
set -euo pipefail
cd "$(dirname "$0")/.."

CHECK=false
[ "${1:-}" = "--check" ] && CHECK=true

npm ci --prefix frontend --ignore-scripts --no-audit --no-fund --legacy-peer-deps --loglevel=error >&2
MODULES=frontend/node_modules
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
mkdir -p "$OUT/static/css" "$OUT/static/vendor/nhsuk" "$OUT/static/vendor/swagger-ui" \
         "$OUT/static/vendor/redoc" "$OUT/axe"

"$MODULES/.bin/sass" --no-source-map --style=compressed --load-path="$MODULES" \
    frontend/styles/equiwait.scss "$OUT/static/css/equiwait.css"
NHSUK="$MODULES/nhsuk-frontend/dist/nhsuk"
cp "$NHSUK/nhsuk-frontend.min.js" "$OUT/static/vendor/nhsuk/nhsuk-frontend.min.js"
cp -r "$NHSUK/assets" "$OUT/static/vendor/nhsuk/assets"
cp "$MODULES/nhsuk-frontend/package.json" "$OUT/static/vendor/nhsuk/package.json"
for file in swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE package.json; do
    cp "$MODULES/swagger-ui-dist/$file" "$OUT/static/vendor/swagger-ui/$file"
done
cp "$MODULES/redoc/bundles/redoc.standalone.js" "$MODULES/redoc/LICENSE" \
   "$MODULES/redoc/package.json" "$OUT/static/vendor/redoc/"
cp "$MODULES/redoc/bundles/redoc.standalone.js.LICENSE.txt" "$OUT/static/vendor/redoc/"
# Source-map comments point at files that are not shipped.
sed -i '/^\/\/# sourceMappingURL=/d; s|//# sourceMappingURL=[^ ]*$||' \
    "$OUT/static/vendor/nhsuk/nhsuk-frontend.min.js" "$OUT/static/vendor/swagger-ui/swagger-ui-bundle.js" \
    "$OUT/static/vendor/swagger-ui/swagger-ui.css"
# ReDoc's sidebar badge loads its logo from the vendor's CDN: nothing may be fetched from outside.
sed -i 's|https://cdn.redoc.ly/redoc/logo-mini.svg||g' "$OUT/static/vendor/redoc/redoc.standalone.js"
cp "$MODULES/axe-core/axe.min.js" "$MODULES/axe-core/LICENSE" "$OUT/axe/"

if $CHECK; then
    status=0
    diff -r "$OUT/static/css" web/static/css || status=1
    diff -r "$OUT/static/vendor" web/static/vendor || status=1
    diff -r "$OUT/axe" tests/browser/vendor || status=1
    [ $status -eq 0 ] && echo "web/static and tests/browser/vendor match the build" >&2
    exit $status
fi
rm -rf web/static/css web/static/vendor tests/browser/vendor
mkdir -p tests/browser
cp -r "$OUT/static/css" "$OUT/static/vendor" web/static/
cp -r "$OUT/axe" tests/browser/vendor
echo "built web/static/css, web/static/vendor and tests/browser/vendor" >&2
