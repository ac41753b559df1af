using System;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;

namespace Playerbase
{
    /// <summary>
    /// What both clients share: URLs, the JSON reader, error answers turned
    /// into <see cref="PlayerbaseException"/>, 429 honoured, and retries of
    /// requests that are safe to repeat.
    /// </summary>
    public sealed class ApiCaller
    {
        public readonly string BaseUrl;
        public readonly IHttpTransport Transport;
        public readonly IJsonParser Json;

        /// <summary>Attempts per call, the first included, when the server answers 429 or a retry is safe.</summary>
        public int MaxAttempts = 4;
        /// <summary>A 429 asking for a longer wait than this is given up on at once.</summary>
        public TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(60);
        /// <summary>Wait before the first retry after a network error or a 5xx; doubled each time.</summary>
        public TimeSpan RetryBackoff = TimeSpan.FromMilliseconds(500);
        /// <summary>How the client waits; replaceable, e.g. in tests.</summary>
        public Func<TimeSpan, CancellationToken, Task> Delay = (wait, cancel) => Task.Delay(wait, cancel);

        public ApiCaller(string baseUrl, IHttpTransport transport, IJsonParser json)
        {
            if (string.IsNullOrEmpty(baseUrl)) throw new ArgumentException("the server's base URL, e.g. http://127.0.0.1:5000", "baseUrl");
            BaseUrl = baseUrl.TrimEnd('/');
            Transport = transport ?? DefaultTransport();
            Json = json ?? JsonParsers.Default();
        }

        private static IHttpTransport DefaultTransport()
        {
#if UNITY_5_3_OR_NEWER
            return new UnityWebRequestTransport();
#else
            return new HttpClientTransport();
#endif
        }

        public string Url(string path)
        {
            return BaseUrl + path;
        }

        /// <summary>
        /// Sends what <paramref name="build"/> makes (afresh for each attempt,
        /// so headers such as a refreshed token are current) and returns the
        /// 2xx answer. A 429 is waited out (Retry-After) and sent again: the
        /// server did nothing with it. Network errors and 5xx answers are
        /// retried only when <paramref name="safeToRepeat"/>.
        /// </summary>
        public async Task<HttpResponse> SendAsync(Func<HttpRequest> build, bool safeToRepeat, CancellationToken cancel)
        {
            var backoff = RetryBackoff;
            for (int attempt = 1; ; attempt++)
            {
                bool last = attempt >= MaxAttempts;
                var request = build();
                HttpResponse response;
                try
                {
                    response = await Transport.SendAsync(request, cancel);
                }
                catch (PlayerbaseNetworkException)
                {
                    if (!safeToRepeat || last) throw;
                    await Delay(backoff, cancel);
                    backoff = Double(backoff);
                    continue;
                }
                if (response.Status == 429)
                {
                    var wait = RetryAfter(response);
                    if (last || wait > MaxRetryAfter) throw Error(response);
                    await Delay(wait, cancel);
                    continue;
                }
                if (response.Status >= 500 && safeToRepeat && !last)
                {
                    await Delay(backoff, cancel);
                    backoff = Double(backoff);
                    continue;
                }
                if (response.Status < 200 || response.Status >= 300) throw Error(response);
                return response;
            }
        }

        public async Task<T> SendAsync<T>(Func<HttpRequest> build, bool safeToRepeat, CancellationToken cancel) where T : new()
        {
            var response = await SendAsync(build, safeToRepeat, cancel);
            return Json.Parse<T>(response.Body);
        }

        /// <summary>The error shape read into an exception; any other body still gives one.</summary>
        public PlayerbaseException Error(HttpResponse response)
        {
            string code = "http_" + response.Status, message = response.Body;
            try
            {
                // Unity's JsonUtility gives null for an empty body (a proxy's 502, say).
                var body = string.IsNullOrEmpty(response.Body) ? null : Json.Parse<ErrorBody>(response.Body);
                if (body != null && body.error != null && !string.IsNullOrEmpty(body.error.code))
                {
                    code = body.error.code;
                    message = body.error.message;
                }
            }
            catch (Exception e) when (e is FormatException || e is NotSupportedException || e is ArgumentException)
            {
                // Not our error shape (a proxy's page, say): keep the raw text.
            }
            return new PlayerbaseException(response.Status, code, message,
                response.Status == 429 ? RetryAfter(response) : TimeSpan.Zero);
        }

        /// <summary>Retry-After as seconds or as an HTTP date; one second when absent or unreadable.</summary>
        public static TimeSpan RetryAfter(HttpResponse response)
        {
            var value = response.Header("Retry-After");
            int seconds;
            if (value != null && int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out seconds))
                return TimeSpan.FromSeconds(Math.Max(0, seconds));
            DateTime at;
            if (value != null && DateTime.TryParse(value, CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out at))
            {
                var wait = at - DateTime.UtcNow;
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }
            return TimeSpan.FromSeconds(1);
        }

        private static TimeSpan Double(TimeSpan wait)
        {
            return TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }

        public static string Escape(string pathSegment)
        {
            return Uri.EscapeDataString(pathSegment);
        }
    }
}
