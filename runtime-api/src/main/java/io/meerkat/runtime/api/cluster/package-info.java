/**
 * Several runtimes sharing one store as a cluster: each session is run by exactly one node at a time (the
 * holder of its lease), any node answers for any session, and a node that dies has its sessions taken over
 * by the others. {@link io.meerkat.runtime.api.cluster.RuntimeCluster} is a node's view of it.
 */
package io.meerkat.runtime.api.cluster;
