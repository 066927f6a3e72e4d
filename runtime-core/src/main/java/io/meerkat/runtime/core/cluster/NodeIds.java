package io.meerkat.runtime.core.cluster;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Default node ids, for a runtime that was not given one. */
public final class NodeIds {

    private NodeIds() {
    }

    /** The host's name and this process's id: unique among the runtimes of a cluster unless two share both. */
    public static String fromHost() {
        return hostName() + "-" + ProcessHandle.current().pid();
    }

    /** The host's name, {@code localhost} if it has none that resolves. */
    public static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
