// A Java NIO event loop (what Netty's NIO transport runs): each turn it waits in its selector, then
// refreshes a report. Once the file named by its argument exists, one refresh calls a slow
// backend synchronously (Thread.sleep), as a blocking JDBC or HTTP client would; when the file
// says "lock", it reads a cache a thread named cache-warmer holds locked for 1.5 s instead; "read":
// it reads a reply from a peer that answers after 1.5 s on a blocking socket; "cpu": it scores
// 1.5 s worth of records on the loop.
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
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

    static int readReply() throws Exception {
        ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        new Thread(() -> {
            try (Socket peer = server.accept()) {
                Thread.sleep(1500);
                peer.getOutputStream().write(42);
            } catch (Exception e) {
            }
        }, "slow-peer").start();
        try (Socket s = new Socket(server.getInetAddress(), server.getLocalPort())) {
            InputStream in = s.getInputStream();
            return in.read();
        } finally {
            server.close();
        }
    }

    static long scoreRecords() {
        long end = System.nanoTime() + 1_500_000_000L, s = 0;
        while (System.nanoTime() < end)
            s += checksum(100000);
        return s;
    }

    static long refreshReport(Path trigger) throws Exception {
        if (Files.exists(trigger)) {
            String what = Files.readString(trigger).trim();
            Files.delete(trigger);
            if (what.equals("lock"))
                readCache();
            else if (what.equals("read"))
                readReply();
            else if (what.equals("cpu"))
                scoreRecords();
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
