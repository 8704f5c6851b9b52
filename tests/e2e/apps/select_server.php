<?php
// A PHP line server on stream_select (it waits in pselect6), as PHP's event-loop libraries run.
// argv: PORT. "sleep" makes the handler block for 0.7 s in usleep; anything else is answered at once.
function handle_line($client, $line) {
    if (trim($line) === "sleep") {
        usleep(700000);
    }
    fwrite($client, "done\n");
}

$server = stream_socket_server("tcp://127.0.0.1:" . $argv[1], $errno, $errstr);
echo "ready\n";
$clients = [];
while (true) {
    $read = array_merge([$server], $clients);
    $write = $except = null;
    if (stream_select($read, $write, $except, null) === false) {
        break;
    }
    foreach ($read as $s) {
        if ($s === $server) {
            $clients[] = stream_socket_accept($server);
            continue;
        }
        $line = fgets($s);
        if ($line === false) {
            unset($clients[array_search($s, $clients, true)]);
            fclose($s);
            continue;
        }
        handle_line($s, $line);
    }
}
