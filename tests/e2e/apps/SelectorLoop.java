// A Java NIO event loop (what Netty's NIO transport runs): each turn it waits in its selector, then
// refreshes a report. Once the file named by its argument exists, one refresh calls a slow
// backend synchronously (Thread.sleep), as a blocking JDBC or HTTP client would; when the file
// says "lock", it reads a cache a thread named cache-warmer holds locked for 1.5 s instead.
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;

public class SelectorLoop {
    static long checksum(long n) {
        long s = 0;
        for (long i = 0; i < n; i++)
            s += i ^ (s >>> 3);
        return s;
    }

    static void callBackend() throws InterruptedException {
        Thread.sleep(1500);
    }

    static final Object CACHE = new Object();

    static void readCache() throws InterruptedException {
        Thread warmer = new Thread(() -> {
            synchronized (CACHE) {
                try {
                    Thread.sleep(1500);
                } catch (InterruptedException e) {
                }
            }
        }, "cache-warmer");
        warmer.start();
        Thread.sleep(50); // the warmer holds the cache by now
        synchronized (CACHE) {
            checksum(10);
        }
    }

    static long refreshReport(Path trigger) throws Exception {
        if (Files.exists(trigger)) {
            boolean lock = Files.readString(trigger).startsWith("lock");
            Files.delete(trigger);
            if (lock)
                readCache();
            else
                callBackend();
        }
        return checksum(20000);
    }

    public static void main(String[] args) throws Exception {
        Path trigger = Path.of(args[0]);
        Selector selector = Selector.open();
        for (int turn = 0;; turn++) {
            selector.select(5);
            refreshReport(trigger);
            if (turn == 500) // refreshReport is compiled by now
                System.out.println("warm");
        }
    }
}
