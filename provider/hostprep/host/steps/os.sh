begin os
[ -r /etc/os-release ] || die "/etc/os-release is missing: cannot tell the operating system; supported: $SUPPORTED_OS"
OS_ID=$(. /etc/os-release; echo "${ID:-}")
OS_LIKE=$(. /etc/os-release; echo "${ID_LIKE:-}")
OS_VERSION=$(. /etc/os-release; echo "${VERSION_ID:-}")
case " $OS_ID $OS_LIKE " in
  *" debian "*|*" ubuntu "*) FAMILY=debian ;;
  *" rhel "*|*" centos "*|*" rocky "*|*" almalinux "*|*" fedora "*|*" ol "*) FAMILY=rhel ;;
  *) die "unsupported operating system ID=\"$OS_ID\"${OS_LIKE:+ (ID_LIKE=\"$OS_LIKE\")} in /etc/os-release; supported: $SUPPORTED_OS" ;;
esac
if [ "$PACKAGE_SOURCE" = apt ] && [ "$FAMILY" != debian ]; then
  die "packageSource.kind \"apt\" needs debian or ubuntu, but this host is ID=\"$OS_ID\"; use packageSource.kind \"bundle\""
fi
fact os "$OS_ID"
fact osVersion "$OS_VERSION"
fact osFamily "$FAMILY"
end
