using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Playerbase.Tests
{
    /// <summary>
    /// An event stream that goes quiet without closing, against a server that
    /// answers the stream's head, then says nothing more (or only keep-alives).
    /// </summary>
    public static class SilenceTests
    {
        public static void AddTo(List<KeyValuePair<string, Func<Task>>> tests)
        {
            tests.Add(new KeyValuePair<string, Func<Task>>("live events: a silent stream is dropped and resumed from its last id", async () =>
            {
                using (var server = new QuietStreamServer(keepAliveEvery: null))
                {
                    var errors = new List<Exception>();
                    var client = new PlayerbaseClient(server.BaseUrl);
                    // A handler that throws does not stop the reconnecting either.
                    Action<Exception> onError = e => { lock (errors) errors.Add(e); throw new InvalidOperationException("the game's handler failed"); };
                    using (var subscription = client.SubscribeToEvents(e => { }, onError: onError))
                    {
                        subscription.SilenceTimeout = TimeSpan.FromMilliseconds(300);
                        subscription.ReconnectDelay = TimeSpan.FromMilliseconds(50);
                        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
                        while (server.LastEventIds.Count < 2 && DateTime.UtcNow < deadline) await Task.Delay(20);
                        Check.That(server.LastEventIds.Count >= 2, "a second connection after the silence, got " + server.LastEventIds.Count);
                        Check.Equal(null, server.LastEventIds[0], "the first connection has no Last-Event-ID");
                        Check.Equal("7", server.LastEventIds[1], "the second resumes from the opening id");
                        lock (errors)
                            Check.That(errors.Any(e => e is PlayerbaseNetworkException && e.Message.Contains("silent")), "the silence is reported: " + string.Join("; ", errors.Select(e => e.Message)));
                    }
                }
            }));
            tests.Add(new KeyValuePair<string, Func<Task>>("live events: a SilenceTimeout of zero waits for ever", async () =>
            {
                using (var server = new QuietStreamServer(keepAliveEvery: null))
                {
                    var errors = new List<Exception>();
                    var client = new PlayerbaseClient(server.BaseUrl);
                    using (var subscription = client.SubscribeToEvents(e => { }, onError: e => { lock (errors) errors.Add(e); }))
                    {
                        subscription.SilenceTimeout = TimeSpan.Zero;
                        await Task.Delay(2500);
                        Check.Equal(1, server.LastEventIds.Count, "connections");
                        lock (errors) Check.Equal(0, errors.Count, "errors: " + string.Join("; ", errors.Select(e => e.Message)));
                    }
                }
            }));
            tests.Add(new KeyValuePair<string, Func<Task>>("live events: keep-alives keep a quiet stream open", async () =>
            {
                using (var server = new QuietStreamServer(keepAliveEvery: TimeSpan.FromMilliseconds(100)))
                {
                    var errors = new List<Exception>();
                    var client = new PlayerbaseClient(server.BaseUrl);
                    using (var subscription = client.SubscribeToEvents(e => { }, onError: e => { lock (errors) errors.Add(e); }))
                    {
                        subscription.SilenceTimeout = TimeSpan.FromMilliseconds(500);
                        await Task.Delay(2000);
                        Check.Equal(1, server.LastEventIds.Count, "connections");
                        lock (errors) Check.Equal(0, errors.Count, "errors: " + string.Join("; ", errors.Select(e => e.Message)));
                    }
                }
            }));
        }

        /// <summary>Answers every request with an event stream's head and one id-only message, then keeps the connection open.</summary>
        private sealed class QuietStreamServer : IDisposable
        {
            private readonly TcpListener listener = new TcpListener(IPAddress.Loopback, 0);
            private readonly TimeSpan? keepAliveEvery;
            private readonly CancellationTokenSource stop = new CancellationTokenSource();
            private readonly List<TcpClient> open = new List<TcpClient>();
            /// <summary>Each request's Last-Event-ID header (null without one), in order.</summary>
            public readonly List<string> LastEventIds = new List<string>();
            public readonly string BaseUrl;

            public QuietStreamServer(TimeSpan? keepAliveEvery)
            {
                this.keepAliveEvery = keepAliveEvery;
                listener.Start();
                BaseUrl = "http://127.0.0.1:" + ((IPEndPoint)listener.LocalEndpoint).Port;
                Task.Run(Accept);
            }

            private async Task Accept()
            {
                while (!stop.IsCancellationRequested)
                {
                    TcpClient client;
                    try
                    {
                        client = await listener.AcceptTcpClientAsync();
                    }
                    catch (Exception)
                    {
                        return; // stopped
                    }
                    lock (open) open.Add(client);
                    Serve(client);
                }
            }

            /// <summary>Answers on its own, while the next connection is accepted.</summary>
            private void Serve(TcpClient client)
            {
                Task.Run(() => Answer(client));
            }

            private async Task Answer(TcpClient client)
            {
                try
                {
                    var stream = client.GetStream();
                    var reader = new StreamReader(stream, Encoding.ASCII);
                    string lastEventId = null;
                    string line;
                    while (!string.IsNullOrEmpty(line = await reader.ReadLineAsync()))
                        if (line.StartsWith("Last-Event-ID:", StringComparison.OrdinalIgnoreCase))
                            lastEventId = line.Substring("Last-Event-ID:".Length).Trim();
                    lock (LastEventIds) LastEventIds.Add(lastEventId);
                    await Write(stream, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\nid: 7\n\n");
                    while (keepAliveEvery.HasValue && !stop.IsCancellationRequested)
                    {
                        await Task.Delay(keepAliveEvery.Value, stop.Token);
                        await Write(stream, ":\n\n");
                    }
                }
                catch (Exception)
                {
                    // The client went, or the test is over.
                }
            }

            private static Task Write(NetworkStream stream, string text)
            {
                var bytes = Encoding.ASCII.GetBytes(text);
                return stream.WriteAsync(bytes, 0, bytes.Length);
            }

            public void Dispose()
            {
                stop.Cancel();
                listener.Stop();
                lock (open) foreach (var client in open) client.Close();
            }
        }
    }
}
