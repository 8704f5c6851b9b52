# An async Ruby service (ruby-async's reactor, on epoll): a ticker keeps the loop turning; once
# started, a task reads its config from the path given, a FIFO no one writes yet: File.open blocks
# the whole reactor (open(2) is no call the fiber scheduler hooks).
require "async"

def read_config(path)
  File.open(path) { |f| f.read }
end

Async do |task|
  task.async { loop { task.sleep 0.01 } }
  task.async do
    task.sleep 0.5
    $stdout.puts "ready"
    $stdout.flush
    read_config(ARGV[0])
  end
end
