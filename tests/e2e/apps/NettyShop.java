// A Netty HTTP server as a shop would write it (Debian's netty-all, the default NIO event loops):
// GET /quote asks a price service that calls its backend synchronously on the event loop (a blocking
// HTTP or JDBC client: Thread.sleep here), GET /report totals orders on the loop for 1.5 s of CPU,
// GET /search matches product names with a backtracking regex for 1.5 s, anything else answers at once. Usage: java -cp CLASSES:netty-all.jar NettyShop PORT
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.channel.ChannelFutureListener;
import java.nio.charset.StandardCharsets;

class PriceService {
    static String fetchQuote(String sku) throws InterruptedException {
        Thread.sleep(1500); // the backend's answer
        return sku + "=42";
    }
}

class Orders {
    static long total() {
        long end = System.nanoTime() + 1_500_000_000L, s = 0;
        while (System.nanoTime() < end)
            for (int i = 0; i < 100000; i++)
                s += i ^ (s >>> 3);
        return s;
    }
}

// The blocking calls of BlockHound's list (Reactor's in-process detector), each blocking ~1.5 s.
class Blocking {
    static String fifo;

    static void call(String name) throws Exception {
        switch (name) {
        case "sleep":
            Thread.sleep(1_500);
            break;
        case "wait":
            Object monitor = new Object();
            synchronized (monitor) {
                monitor.wait(1500);
            }
            break;
        case "park":
            java.util.concurrent.locks.LockSupport.parkNanos(1_500_000_000L);
            break;
        case "file-read":
            try (java.io.FileInputStream in = new java.io.FileInputStream(fifo)) {
                in.read();
            }
            break;
        case "random-access":
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(fifo, "r")) {
                f.read();
            }
            break;
        case "process":
            new ProcessBuilder("sleep", "1.5").start().waitFor();
            break;
        default:
            throw new IllegalArgumentException(name);
        }
    }
}

class Catalog {
    static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("^(a+)+$");

    static int search(String query) {
        long end = System.nanoTime() + 1_500_000_000L;
        int found = 0;
        while (System.nanoTime() < end)
            found += NAME.matcher(query).matches() ? 1 : 0;
        return found;
    }
}

public class NettyShop extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
        String body;
        if (req.uri().startsWith("/quote"))
            body = PriceService.fetchQuote("sku-1");
        else if (req.uri().startsWith("/block/")) {
            Blocking.call(req.uri().substring("/block/".length()));
            body = "done";
        } else if (req.uri().startsWith("/search"))
            body = Integer.toString(Catalog.search("aaaaaaaaaaaaaaaa!"));
        else if (req.uri().startsWith("/report"))
            body = Long.toString(Orders.total());
        else
            body = "ok";
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.copiedBuffer(body + "\n", StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }

    public static void main(String[] args) throws Exception {
        Blocking.fifo = args.length > 1 ? args[1] : null;
        EventLoopGroup boss = new NioEventLoopGroup(1), workers = new NioEventLoopGroup(1);
        new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536), new NettyShop());
                    }
                }).bind(Integer.parseInt(args[0])).sync();
        System.out.println("listening");
    }
}
