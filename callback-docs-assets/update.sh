#!/usr/bin/env bash
# Refreshes vendor/ from the pinned npm packages. For maintainers only: it is
# left out of the published crate, which builds from vendor/ with cargo alone.
#
#   callback-docs-assets/update.sh
#
# Each tarball comes from `npm pack` (the tarball only: no dependencies, no
# install scripts), or from the folder named by CALLBACK_DOCS_TARBALLS, which
# holds the .tgz files under the names `npm pack` gives them. Either way the
# tarball's sha512 is computed here and must equal the pinned npm integrity.
# The script then extracts the shipped files, patches them, writes the
# license note of Scalar, and records every file's SHA-256 in
# vendor/SHA256SUMS and the pins in vendor/PINS. Running it twice gives the
# same bytes.
#
# To update a package: change its version and integrity below (`npm view
# NAME@VERSION dist.integrity`), run this script, then `cargo test -p
# callback-docs-assets`: the outside-hosts test fails until the new list of
# hosts a bundle names is reviewed (tests/hosts/).
set -euo pipefail
export LC_ALL=C
here="$(cd "$(dirname "$0")" && pwd)"

# folder  npm package  version  npm integrity of the tarball
PINS=(
    "swagger-ui swagger-ui-dist 5.35.0 sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ=="
    "redoc redoc 2.5.4 sha512-M6jWhG1qoBnH6TFmzJnstyCZ87HmOY/UzDm78mHiYihEdlV/YcS9ogOo1NlElnJMeLsyxHFe2yFc4sNjHTrABQ=="
    "scalar @scalar/api-reference 1.76.0 sha512-pjqwnzmA9YK3ZX+IZSICMsywm4qI6HLSngR2py9H6TvFApHHuJjkTAd+gFJfnqJDzJuro8k7ji6JCtJ2U+Byng=="
)

# The files shipped from each package, relative to the tarball's package/
# folder; each lands in vendor/<folder>/ under its base name.
shipped_files() {
    case "$1" in
    swagger-ui) echo "swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css LICENSE NOTICE" ;;
    redoc) echo "bundles/redoc.standalone.js bundles/redoc.standalone.js.LICENSE.txt LICENSE" ;;
    scalar) echo "dist/browser/standalone.js" ;;
    *) fail "no file list for $1" ;;
    esac
}

fail() {
    echo "update.sh: $*" >&2
    exit 1
}

for tool in openssl tar sha256sum base64; do
    command -v "$tool" >/dev/null || fail "$tool is needed"
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="$work/vendor"
mkdir -p "$out"

# The tarball of a package, fetched or taken from CALLBACK_DOCS_TARBALLS.
tarball() {
    local package=$1 version=$2
    local file
    file="$(echo "${package#@}" | tr / -)-$version.tgz"
    if [ -n "${CALLBACK_DOCS_TARBALLS:-}" ]; then
        [ -f "$CALLBACK_DOCS_TARBALLS/$file" ] || fail "$CALLBACK_DOCS_TARBALLS/$file is missing"
        echo "$CALLBACK_DOCS_TARBALLS/$file"
    else
        command -v npm >/dev/null || fail "npm is needed (or set CALLBACK_DOCS_TARBALLS)"
        (cd "$work" && npm pack "$package@$version" --silent >/dev/null) ||
            fail "npm pack $package@$version failed"
        echo "$work/$file"
    fi
}

# ReDoc's sidebar footer shows a logo loaded from Redocly's CDN; the docs
# work offline, so the image becomes an inline, empty SVG.
redoc_cdn_logo='https://cdn.redoc.ly/redoc/logo-mini.svg'
inline_empty_svg='data:image/svg+xml,%3Csvg xmlns=%27http://www.w3.org/2000/svg%27/%3E'

patch_redoc() {
    local bundle=$1
    local count
    count="$(grep -oF "$redoc_cdn_logo" "$bundle" | wc -l)"
    [ "$count" = 1 ] ||
        fail "the ReDoc bundle names $redoc_cdn_logo $count times, not once: review it for other CDN loads"
    sed -i "s|$redoc_cdn_logo|$inline_empty_svg|" "$bundle"
}

# A bundle that starts with a banner naming its license file must ship that
# file under that name (the docs site serves it next to the bundle).
check_banner() {
    local bundle=$1 expected=$2
    local banner
    banner="$(head -n 1 "$bundle" | cut -c 1-200)"
    if [ -n "$expected" ]; then
        [ "$banner" = "/*! For license information please see $expected */" ] ||
            fail "$(basename "$bundle") starts with '$banner', not a banner naming $expected"
    else
        case "$banner" in
        *LICENSE*) fail "$(basename "$bundle") now names a license file: '$banner'" ;;
        esac
    fi
}

# Scalar's package has no license file: ship a note of what its
# package.json declares.
scalar_license_note() {
    local manifest=$1 version=$2
    local license author repository
    license="$(sed -n 's/^  "license": "\(.*\)",$/\1/p' "$manifest")"
    author="$(sed -n 's/^  "author": "\(.*\)",$/\1/p' "$manifest")"
    repository="$(sed -n '/^  "repository": {/,/}/s/^    "url": "\(.*\)",$/\1/p' "$manifest")"
    [ "$license" = MIT ] || fail "@scalar/api-reference now declares the license '$license': review it"
    cat <<EOF
License note for standalone.js, the file dist/browser/standalone.js of the
npm package @scalar/api-reference $version.

The package ships no license file. Its package.json declares:

  "license": "$license"
  "author": "$author"
  "repository": "$repository"

The SPDX identifier "$license" names the MIT License. The bundle starts with no
banner naming a separate license file; notices of the code it includes are
kept inline in the bundle.
EOF
}

: >"$out/PINS"
for pin in "${PINS[@]}"; do
    read -r folder package version integrity <<<"$pin"
    echo "==> $package $version"
    file="$(tarball "$package" "$version")"
    actual="sha512-$(openssl dgst -sha512 -binary "$file" | base64 -w 0)"
    [ "$actual" = "$integrity" ] ||
        fail "$file has the integrity $actual, not the pinned $integrity"
    unpacked="$work/unpacked-$folder"
    mkdir -p "$unpacked" "$out/$folder"
    members=()
    for f in $(shipped_files "$folder"); do members+=("package/$f"); done
    [ "$folder" = scalar ] && members+=("package/package.json")
    tar -xzf "$file" -C "$unpacked" "${members[@]}"
    for f in $(shipped_files "$folder"); do
        cp "$unpacked/package/$f" "$out/$folder/$(basename "$f")"
        chmod 644 "$out/$folder/$(basename "$f")"
    done
    case "$folder" in
    swagger-ui) check_banner "$out/$folder/swagger-ui-bundle.js" swagger-ui-bundle.js.LICENSE.txt ;;
    redoc)
        check_banner "$out/$folder/redoc.standalone.js" redoc.standalone.js.LICENSE.txt
        patch_redoc "$out/$folder/redoc.standalone.js"
        ;;
    scalar)
        check_banner "$out/$folder/standalone.js" ""
        scalar_license_note "$unpacked/package/package.json" "$version" >"$out/$folder/LICENSE"
        ;;
    esac
    echo "$folder $package $version $integrity" >>"$out/PINS"
done

(cd "$out" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | sort | xargs sha256sum) >"$out/SHA256SUMS"

rm -rf "$here/vendor"
mv "$out" "$here/vendor"
echo "==> vendor/ written; its files:"
cat "$here/vendor/SHA256SUMS"
