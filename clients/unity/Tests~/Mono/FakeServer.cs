using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;

namespace Playerbase.Tests
{
    /// <summary>
    /// A tiny HTTP server that answers from a script: a 429 exactly when a
    /// test wants one, which the real server's rate limits cannot promise.
    /// </summary>
    public sealed class FakeServer : IDisposable
    {
        public sealed class Answer
        {
            public int Status;
            public string Body;
            public string RetryAfter;
        }

        public sealed class Seen
        {
            public string Method;
            public string Path;
            public string IdempotencyKey;
            public DateTime At;
        }

        private readonly HttpListener listener = new HttpListener();
        private readonly Func<int, Answer> script;
        public readonly List<Seen> Requests = new List<Seen>();
        public readonly string BaseUrl;

        /// <param name="script">the answer to the n-th request, from 0</param>
        public FakeServer(Func<int, Answer> script)
        {
            this.script = script;
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            BaseUrl = "http://127.0.0.1:" + port;
            listener.Prefixes.Add(BaseUrl + "/");
            listener.Start();
            Task.Run(Serve);
        }

        private async Task Serve()
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception)
                {
                    return; // stopped
                }
                int n;
                lock (Requests)
                {
                    n = Requests.Count;
                    Requests.Add(new Seen
                    {
                        Method = context.Request.HttpMethod,
                        Path = context.Request.Url.AbsolutePath,
                        IdempotencyKey = context.Request.Headers["Idempotency-Key"],
                        At = DateTime.UtcNow,
                    });
                }
                var answer = script(n);
                var bytes = Encoding.UTF8.GetBytes(answer.Body);
                context.Response.StatusCode = answer.Status;
                context.Response.ContentType = "application/json";
                if (answer.RetryAfter != null) context.Response.Headers["Retry-After"] = answer.RetryAfter;
                context.Response.ContentLength64 = bytes.Length;
                context.Response.OutputStream.Write(bytes, 0, bytes.Length);
                context.Response.Close();
            }
        }

        public static Answer TooManyRequests(string retryAfter)
        {
            return new Answer
            {
                Status = 429,
                RetryAfter = retryAfter,
                Body = "{\"error\":{\"code\":\"rate_limited\",\"message\":\"slow down\"}}",
            };
        }

        public static Answer Ok(string body)
        {
            return new Answer { Status = 200, Body = body };
        }

        public void Dispose()
        {
            listener.Stop();
            listener.Close();
        }
    }
}
