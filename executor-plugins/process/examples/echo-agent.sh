#!/bin/sh
# echo-agent.sh: the example agent program of the process executor (see ../PROTOCOL.md).
# POSIX sh only: it needs nothing but sh, printf and sleep.
#
# Reads one request line from stdin, reports one progress line, streams the request's text as one
# output line, then answers with a result line that echoes the text. ECHO_AGENT_MODE (set it with the
# executor config key env.ECHO_AGENT_MODE) selects another behaviour, used by the executor's tests:
#   echo      (default) progress, output, then a result echoing the text
#   error     progress, then an error line
#   crash     a line on stderr, then exit code 3 without a result
#   garbage   a line that is not JSON
#   sleep     progress, then sleep for ECHO_AGENT_SLEEP seconds (default 600), then the result; exits
#             as soon as stdin ends, as the protocol asks (see until_stdin_ends)
#   spawn     start a background child (sleep), report "pids <own pid> <child pid>", wait for it
#   stubborn  like spawn, but the program and its child ignore SIGTERM: only a forcible kill ends them
# spawn and stubborn misbehave on purpose: they ignore the end of stdin.
#
# ECHO_AGENT_RUN_LOG (config key env.ECHO_AGENT_RUN_LOG), when set, names a file to which the program
# appends one JSON line per run as soon as it has read the request, in every mode: an effect outside the
# runtime, as a real agent's would be (a message sent, a payment made), keyed by the request's attempt
# keys, which is how such an agent makes its effect happen once although the runtime may run it again
# after a crash:
#   {"runtimePid":4100,"runId":"0195...","attemptKeys":["0195...:1"],"text":"hi"}
# runtimePid is the program's parent, the runtime's process. One line is one write (a short line appended
# to a file is not interleaved with another program's).
#
# Parsing JSON in sh is awkward, so this program relies on guarantees of the protocol: "text" is the
# request's last field, and "runId" and "attemptKeys" come before any text of the client (whose quotes
# are escaped anyway). The JSON string after the last '"text":' and the array after the first
# '"attemptKeys":' are reused as they are, still escaped, so they never have to be decoded. A real agent
# parses the request with a JSON library.

IFS= read -r request || { echo "echo-agent: no request line on stdin" >&2; exit 2; }
text=${request##*'"text":'}
text=${text%'}'}

if [ -n "${ECHO_AGENT_RUN_LOG:-}" ]; then
    run_id=
    case $request in
        *'"runId":"'*)
            run_id=${request#*'"runId":"'}
            run_id=${run_id%%'"'*}
            ;;
    esac
    case $request in
        *'"attemptKeys":['*)
            attempt_keys=${request#*'"attemptKeys":['}
            attempt_keys="[${attempt_keys%%']'*}]"
            ;;
        *) attempt_keys='[]' ;;
    esac
    printf '{"runtimePid":%s,"runId":"%s","attemptKeys":%s,"text":%s}\n' \
        "$PPID" "$run_id" "$attempt_keys" "$text" >>"$ECHO_AGENT_RUN_LOG" \
        || { echo "echo-agent: cannot append to $ECHO_AGENT_RUN_LOG" >&2; exit 2; }
fi

progress() {
    printf '{"type":"progress","message":"%s"}\n' "$1"
}

output() {
    printf '{"type":"output","text":%s}\n' "$text"
}

result() {
    printf '{"type":"result","text":%s,"attributes":{"agent":"echo-agent.sh"}}\n' "$text"
}

# Runs "$@" in the background and waits for it, but ends it and returns as soon as stdin ends: the
# executor closes stdin once the run is over (cancelled, timed out) and the system does when the runtime
# is gone, and then an agent must exit (PROTOCOL.md). Background commands read /dev/null, hence fd 3.
until_stdin_ends() {
    "$@" &
    work=$!
    exec 3<&0
    { while IFS= read -r _; do :; done; kill "$work" 2>/dev/null; } <&3 &
    watcher=$!
    exec 3<&-
    wait "$work"
    status=$?
    kill "$watcher" 2>/dev/null
    return "$status"
}

case "${ECHO_AGENT_MODE:-echo}" in
    echo)
        progress "echo-agent read the request"
        output
        result
        ;;
    error)
        progress "echo-agent read the request"
        printf '{"type":"error","message":"echo-agent was asked to fail"}\n'
        ;;
    crash)
        echo "echo-agent: crashing on purpose" >&2
        exit 3
        ;;
    garbage)
        echo "this is not JSON"
        ;;
    sleep)
        progress "echo-agent is sleeping"
        until_stdin_ends sleep "${ECHO_AGENT_SLEEP:-600}" || exit 0
        result
        ;;
    spawn)
        sleep 600 &
        progress "pids $$ $!"
        wait
        ;;
    stubborn)
        trap '' TERM
        # The child inherits the ignored SIGTERM.
        sleep 600 &
        progress "pids $$ $!"
        wait
        ;;
    *)
        echo "echo-agent: unknown ECHO_AGENT_MODE '$ECHO_AGENT_MODE'" >&2
        exit 2
        ;;
esac
