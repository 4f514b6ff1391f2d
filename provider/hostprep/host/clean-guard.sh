# Before the clean-up, and before the prelude (which would create it): without the record of what
# the preparation installed, nothing is known to be ours (the files and packages may have been
# there before, or belong to someone else), so the host is left as it is and the report says so.
if [ ! -f "$S/managed" ]; then
  echo "HCP-WARN files: $NO_RECORD"
  echo "HCP-STEP files unchanged"
  echo "HCP-DONE clean"
  exit 0
fi
