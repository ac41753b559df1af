using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Playerbase
{
    /// <summary>
    /// The transport over <see cref="HttpClient"/>: for dedicated game
    /// servers, tools and tests outside Unity (in Unity prefer
    /// <see cref="UnityWebRequestTransport"/>, which also works on WebGL).
    /// </summary>
    public sealed class HttpClientTransport : IHttpTransport
    {
        private readonly HttpClient http;

        public HttpClientTransport() : this(new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan }) { }

        /// <param name="http">with an infinite Timeout if event streams are used; each call below sets its own.</param>
        public HttpClientTransport(HttpClient http)
        {
            this.http = http;
        }

        /// <summary>How long a plain request may take.</summary>
        public TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

        public async Task<HttpResponse> SendAsync(HttpRequest request, CancellationToken cancel)
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel))
            {
                timeout.CancelAfter(RequestTimeout);
                try
                {
                    using (var message = ToMessage(request))
                    using (var answer = await http.SendAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token))
                    {
                        var response = FromMessage(answer);
                        response.Body = await answer.Content.ReadAsStringAsync();
                        return response;
                    }
                }
                catch (HttpRequestException e)
                {
                    throw new PlayerbaseNetworkException(request.Method + " " + request.Url + ": " + e.Message, e);
                }
                catch (OperationCanceledException e)
                {
                    if (cancel.IsCancellationRequested) throw;
                    throw new PlayerbaseNetworkException(request.Method + " " + request.Url + ": timed out", e);
                }
            }
        }

        public async Task<HttpResponse> StreamAsync(HttpRequest request, Action<string> onText, CancellationToken cancel)
        {
            HttpResponseMessage answer;
            try
            {
                using (var message = ToMessage(request))
                    answer = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancel);
            }
            catch (HttpRequestException e)
            {
                throw new PlayerbaseNetworkException(request.Method + " " + request.Url + ": " + e.Message, e);
            }
            using (answer)
            {
                var response = FromMessage(answer);
                if (!answer.IsSuccessStatusCode)
                {
                    response.Body = await answer.Content.ReadAsStringAsync();
                    return response;
                }
                // Disposing the stream is what interrupts a pending read on cancellation.
                using (var stream = await answer.Content.ReadAsStreamAsync())
                using (cancel.Register(stream.Dispose))
                {
                    var decoder = Encoding.UTF8.GetDecoder();
                    var bytes = new byte[4096];
                    var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
                    while (!cancel.IsCancellationRequested)
                    {
                        int read;
                        try
                        {
                            read = await stream.ReadAsync(bytes, 0, bytes.Length, cancel);
                        }
                        catch (Exception e) when (e is IOException || e is ObjectDisposedException || e is OperationCanceledException)
                        {
                            if (cancel.IsCancellationRequested) break;
                            throw new PlayerbaseNetworkException("the event stream broke: " + e.Message, e);
                        }
                        if (read == 0) break;
                        int count = decoder.GetChars(bytes, 0, read, chars, 0);
                        if (count > 0) onText(new string(chars, 0, count));
                    }
                }
                return response;
            }
        }

        private static HttpRequestMessage ToMessage(HttpRequest request)
        {
            var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Url);
            if (request.Body != null)
                message.Content = new StringContent(request.Body, Encoding.UTF8, "application/json");
            foreach (var header in request.Headers)
                message.Headers.TryAddWithoutValidation(header.Key, header.Value);
            return message;
        }

        private static HttpResponse FromMessage(HttpResponseMessage answer)
        {
            var response = new HttpResponse { Status = (int)answer.StatusCode };
            AddHeaders(response, answer.Headers);
            AddHeaders(response, answer.Content.Headers);
            return response;
        }

        private static void AddHeaders(HttpResponse response, IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers)
        {
            foreach (var header in headers)
                response.Headers[header.Key] = string.Join(", ", header.Value);
        }
    }
}
