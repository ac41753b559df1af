using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Playerbase.Tests
{
    /// <summary>
    /// Passes requests to a real transport and notes each one and its
    /// status; can lose the first answer after the server has acted on it,
    /// as a dropped connection would.
    /// </summary>
    public sealed class RecordingTransport : IHttpTransport
    {
        private readonly IHttpTransport inner;
        public readonly List<HttpRequest> Requests = new List<HttpRequest>();
        public readonly List<int> Statuses = new List<int>();
        public int AnswersToLose;
        /// <summary>How long each answer takes on its way back, after the server has acted.</summary>
        public TimeSpan AnswerDelay = TimeSpan.Zero;

        public RecordingTransport(IHttpTransport inner)
        {
            this.inner = inner;
        }

        public async Task<HttpResponse> SendAsync(HttpRequest request, CancellationToken cancel)
        {
            lock (Requests) Requests.Add(request);
            var response = await inner.SendAsync(request, cancel);
            lock (Requests) Statuses.Add(response.Status);
            if (AnswerDelay > TimeSpan.Zero) await Task.Delay(AnswerDelay, cancel);
            if (AnswersToLose > 0)
            {
                AnswersToLose--;
                throw new PlayerbaseNetworkException("test: the answer was lost on the way back", null);
            }
            return response;
        }

        public Task<HttpResponse> StreamAsync(HttpRequest request, Action<string> onText, CancellationToken cancel)
        {
            lock (Requests) Requests.Add(request);
            return inner.StreamAsync(request, onText, cancel);
        }

        public string PathsAndStatuses()
        {
            var seen = new List<string>();
            for (int i = 0; i < Requests.Count; i++)
                seen.Add(Requests[i].Method + " " + new Uri(Requests[i].Url).AbsolutePath + (i < Statuses.Count ? " " + Statuses[i] : ""));
            return string.Join(", ", seen.ToArray());
        }
    }
}
