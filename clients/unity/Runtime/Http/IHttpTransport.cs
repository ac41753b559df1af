using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Playerbase
{
    /// <summary>A request as the client builds it; the transport only carries it.</summary>
    public sealed class HttpRequest
    {
        public string Method;
        public string Url;
        /// <summary>JSON, or null for no body.</summary>
        public string Body;
        public readonly Dictionary<string, string> Headers = new Dictionary<string, string>();

        public HttpRequest(string method, string url, string body)
        {
            Method = method;
            Url = url;
            Body = body;
        }
    }

    /// <summary>Any HTTP answer, error statuses included.</summary>
    public sealed class HttpResponse
    {
        public int Status;
        /// <summary>The body as text; empty for a stream, which went to the callback instead.</summary>
        public string Body = "";
        public readonly Dictionary<string, string> Headers =
            new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        public string Header(string name)
        {
            string value;
            return Headers.TryGetValue(name, out value) ? value : null;
        }
    }

    /// <summary>
    /// How requests reach the server: <see cref="UnityWebRequestTransport"/>
    /// inside Unity, <see cref="HttpClientTransport"/> elsewhere, or a fake in
    /// tests. Implementations answer every HTTP status with a response and
    /// throw <see cref="PlayerbaseNetworkException"/> only when there is no
    /// answer at all.
    /// </summary>
    public interface IHttpTransport
    {
        Task<HttpResponse> SendAsync(HttpRequest request, CancellationToken cancel);

        /// <summary>
        /// Sends the request and, while the answer is 2xx, hands its body to
        /// <paramref name="onText"/> piece by piece as it arrives; completes
        /// when the server ends the stream or <paramref name="cancel"/> fires.
        /// A non-2xx answer is returned whole, with its body, as from SendAsync.
        /// </summary>
        Task<HttpResponse> StreamAsync(HttpRequest request, Action<string> onText, CancellationToken cancel);
    }
}
