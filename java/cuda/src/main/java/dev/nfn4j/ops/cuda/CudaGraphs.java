package dev.nfn4j.ops.cuda;

import dev.nfn4j.ops.Buf;
import jcuda.CudaException;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstreamCaptureMode;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static jcuda.driver.JCudaDriver.*;

/**
 * CUDA graphs and timing on a {@link CudaDevice}'s compute stream: a body of ops run once
 * eagerly, captured the second time, replayed from then on; and event timing of a body. Not
 * thread-safe on its own: {@link CudaOps} calls it under its lock.
 */
final class CudaGraphs {
    /** Graphs by key: WARM after the first (eager) run, then the captured graph. */
    private final Map<Object, Object> graphs = new HashMap<>();
    private static final Object WARM = new Object();
    private final CudaDevice device;

    private record Graph(CUgraph graph, CUgraphExec exec, List<Buf> buffers) {}

    CudaGraphs(CudaDevice device) {
        this.device = device;
    }

    /**
     * First call for a key: runs the body. Second: captures it on the compute stream (relaxed
     * mode, so a late allocation is still allowed), instantiates the graph and launches it.
     * Later: launches the graph. Inside a capture, a nested runGraph runs its body inline. A body
     * that fails during capture discards the capture and its key starts over.
     */
    void runGraph(Object key, Runnable body) {
        device.enter();
        if (device.capturing()) {
            body.run();
            return;
        }
        Object g = graphs.get(key);
        if (g == null) {
            body.run();
            graphs.put(key, WARM);
            return;
        }
        try {
            if (g instanceof Graph graph) {
                cuGraphLaunch(graph.exec(), device.compute());
                return;
            }
            device.beginCapture();
            CUgraph graph = new CUgraph();
            cuStreamBeginCapture(device.compute(), CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_RELAXED);
            try {
                body.run();
            } catch (RuntimeException | Error e) {
                device.endCapture();
                graphs.remove(key);
                try {
                    cuStreamEndCapture(device.compute(), graph);
                    cuGraphDestroy(graph);
                } catch (CudaException ignored) {
                    // the capture is invalid already; the body's exception says why
                }
                throw e;
            }
            List<Buf> buffers = device.endCapture();
            cuStreamEndCapture(device.compute(), graph);
            CUgraphExec exec = new CUgraphExec();
            cuGraphInstantiate(exec, graph, 0);
            graphs.put(key, new Graph(graph, exec, buffers));
            cuGraphLaunch(exec, device.compute());
        } catch (CudaException e) {
            device.endCapture();
            graphs.remove(key);
            throw device.failure("graph for " + key, e);
        }
    }

    /** Drops the key's graph, destroying a captured one; its buffers are then free to go. */
    void releaseGraph(Object key) {
        device.enter();
        Object g = graphs.remove(key);
        if (g instanceof Graph graph)
            try {
                cuGraphExecDestroy(graph.exec());
                cuGraphDestroy(graph.graph());
            } catch (CudaException e) {
                throw device.failure("releasing the graph for " + key, e);
            }
    }

    /** CUDA events around each rep on the compute stream, after the warm-up; the elapsed times once all reps are done. */
    float[] timeMillis(Runnable body, int warmup, int reps) {
        device.enter();
        device.noCapture("timeMillis");
        for (int i = 0; i < warmup; i++) body.run();
        CUevent[] start = new CUevent[reps], stop = new CUevent[reps];
        try {
            for (int i = 0; i < reps; i++) {
                start[i] = new CUevent();
                stop[i] = new CUevent();
                cuEventCreate(start[i], CUevent_flags.CU_EVENT_DEFAULT);
                cuEventCreate(stop[i], CUevent_flags.CU_EVENT_DEFAULT);
            }
            for (int i = 0; i < reps; i++) {
                cuEventRecord(start[i], device.compute());
                body.run();
                cuEventRecord(stop[i], device.compute());
            }
            float[] ms = new float[reps];
            if (reps > 0) cuEventSynchronize(stop[reps - 1]);
            float[] t = {0};
            for (int i = 0; i < reps; i++) {
                cuEventElapsedTime(t, start[i], stop[i]);
                ms[i] = t[0];
            }
            return ms;
        } catch (CudaException e) {
            throw device.failure("timing", e);
        } finally {
            for (int i = 0; i < reps; i++) {
                if (start[i] != null) cuEventDestroy(start[i]);
                if (stop[i] != null) cuEventDestroy(stop[i]);
            }
        }
    }
}
