begin arch
case "$(uname -m)" in
  x86_64|amd64) ARCH=amd64 ;;
  aarch64|arm64) ARCH=arm64 ;;
  *) die "unsupported CPU architecture $(uname -m); supported: x86_64 (amd64), aarch64 (arm64)" ;;
esac
fact arch "$ARCH"
end
