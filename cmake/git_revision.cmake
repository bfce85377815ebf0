# Writes OUT from IN with the working tree's git revision (12 hex digits, "-dirty" when tracked files differ from
# HEAD, "unknown" outside git). Run at configure time and at every build (target idealgas_git_revision), so that
# results record the revision of the code that produced them, not that of the last `cmake` run; configure_file
# rewrites OUT only when its content changes, so an unchanged revision recompiles nothing.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE IDEALGAS_GIT_REV OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE IDEALGAS_GIT_DIRTY OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT IDEALGAS_GIT_REV)
  set(IDEALGAS_GIT_REV "unknown")
elseif(IDEALGAS_GIT_DIRTY)
  set(IDEALGAS_GIT_REV "${IDEALGAS_GIT_REV}-dirty")
endif()
configure_file(${IN} ${OUT} @ONLY)
