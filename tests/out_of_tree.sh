#!/bin/sh
# The out-of-tree examples build against an installed tree alone (make
# install DESTDIR=...): hello and price are listed ok when dropped into the
# plugin dir, and price's kit test (its collect() against canned answers,
# linked with the installed test kit) passes.
set -eu
top_src=${IH_TOP_SRCDIR:?}
top_build=${IH_TOP_BUILDDIR:?}
tmp=$(mktemp -d /tmp/ih-oot.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
make -s -C "$top_build" install DESTDIR="$tmp/root" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; exit 1; }
pc=$(find "$tmp/root" -name ingesthost-plugin.pc | head -n 1)
[ -n "$pc" ] || { echo "FAIL: ingesthost-plugin.pc not installed"; exit 1; }
prefix=$(sed -n 's/^prefix=//p' "$pc")
pcdir=$(dirname "$pc")
# Point pkg-config at the staged tree: only the installed header is visible.
cflags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --define-variable=prefix="$tmp/root$prefix" --cflags ingesthost-plugin)
plugindir=$(PKG_CONFIG_PATH="$pcdir" pkg-config --define-variable=prefix="$tmp/root$prefix" --variable=plugindir ingesthost-plugin)
echo "cflags: $cflags"
abi=$(PKG_CONFIG_PATH="$pcdir" pkg-config --variable=abi ingesthost-plugin)
echo "plugindir: $plugindir"
echo "abi: $abi"
hdr_abi=$(sed -n 's/^#define IH_ABI_MAJOR \([0-9]*\)$/\1/p' "$top_src/include/ingesthost/plugin.h").$(sed -n 's/^#define IH_ABI_MINOR \([0-9]*\)$/\1/p' "$top_src/include/ingesthost/plugin.h")
[ "$abi" = "$hdr_abi" ] || { echo "FAIL: ingesthost-plugin.pc says abi=$abi, plugin.h says $hdr_abi"; exit 1; }
abi_re=$(echo "$abi" | sed 's/\./\\./')
case "$cflags" in *"$top_src"*) echo "FAIL: cflags reach into the source tree"; exit 1 ;; esac
mkdir -p "$plugindir"
cp "$top_src/examples/hello-plugin/hello.c" "$tmp/"
(cd "$tmp" && ${CC:-cc} -shared -fPIC -Wall -Wextra -Werror $cflags -o "$plugindir/hello.so" hello.c)
# The complete example, with its own Makefile, from the installed .pc alone.
cp -r "$top_src/examples/price-plugin" "$tmp/price"
chmod -R u+w "$tmp/price"
pkgconf="pkg-config --define-variable=prefix=$tmp/root$prefix"
PKG_CONFIG_PATH="$pcdir" make -s -C "$tmp/price" PKG_CONFIG="$pkgconf" CFLAGS="-O2 -Wall -Wextra -Werror" all price_test
cp "$tmp/price/price.so" "$plugindir/"
printf 'plugins: { dir = "%s"; };\n' "$plugindir" > "$tmp/ih.conf"
bin=$(find "$tmp/root" -type f -name ingesthost -perm -u+x | head -n 1)
"$bin" -c "$tmp/ih.conf" --list-plugins | tee "$tmp/list.txt"
grep -E "^hello +1\\.0\\.0 +$abi_re +hello +.*/hello\.so +ok\$" "$tmp/list.txt" >/dev/null || { echo "FAIL: hello not listed ok"; exit 1; }
grep -E "^price +1\\.0\\.0 +$abi_re +examplemart +.*/price\.so +ok\$" "$tmp/list.txt" >/dev/null || { echo "FAIL: price not listed ok"; exit 1; }
# only the descriptor is exported (-fvisibility=hidden + IH_PLUGIN_EXPORT)
if command -v nm >/dev/null; then
	exported=$(nm -D --defined-only "$tmp/price/price.so" | awk '$2 ~ /^[A-Z]$/ {print $3}' | grep -v '^_' | tr '\n' ' ')
	echo "price.so exports: $exported"
	[ "$exported" = "ingesthost_plugin " ] || { echo "FAIL: price.so exports more than its descriptor"; exit 1; }
fi
echo "price kit test (linked with the installed libingesthost-testkit.a):"
"$tmp/price/price_test" "$plugindir/price.so" || { echo "FAIL: the price plugin's kit test"; exit 1; }
# The installed example config, pointed at the staged plugin dir, is valid
# and the four shipped plugins are listed ok next to the example.
example=$(find "$tmp/root" -name ingesthost.conf.example | head -n 1)
sed "s|dir = \"[^\"]*\";|dir = \"$plugindir\";|" "$example" > "$tmp/example.conf"
"$bin" -c "$tmp/example.conf" --check-config >/dev/null || { echo "FAIL: the installed example does not pass --check-config"; exit 1; }
"$bin" -c "$tmp/example.conf" --list-plugins | tee "$tmp/list4.txt"
for p in scryfall cardtrader tcgplayer manapool; do
	grep -E "^$p +[^ ]+ +$abi_re +$p +.* ok\$" "$tmp/list4.txt" >/dev/null || { echo "FAIL: $p not listed ok"; exit 1; }
done
echo "PASS: out-of-tree examples built against the installed header and .pc, listed ok, price's kit test passes; the example config checks out"
