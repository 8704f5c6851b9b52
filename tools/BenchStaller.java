// A Java NIO loop that blocks in Thread.sleep for 0.2 s every 0.6 s, N times: the stall-cost
// benchmark's JVM target (its Java frames are read from HotSpot's tables at each report).
import java.nio.channels.Selector;

public class BenchStaller {
    static void blockingCall() throws InterruptedException {
        Thread.sleep(200);
    }

    public static void main(String[] args) throws Exception {
        int left = Integer.parseInt(args[0]);
        Selector selector = Selector.open();
        System.out.println("ready");
        selector.select(1000);
        while (left-- > 0) {
            blockingCall();
            selector.select(400);
        }
    }
}
