#if UNITY_5_3_OR_NEWER
using System;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using UnityEngine.Networking;

namespace Playerbase
{
    /// <summary>
    /// The transport inside Unity, on every platform WebGL included. Its
    /// tasks complete, and stream text arrives, on Unity's main thread.
    /// </summary>
    public sealed class UnityWebRequestTransport : IHttpTransport
    {
        /// <summary>Seconds a plain request may take (event streams have none).</summary>
        public int TimeoutSeconds = 30;

        public Task<HttpResponse> SendAsync(HttpRequest request, CancellationToken cancel)
        {
            var web = Build(request, new DownloadHandlerBuffer());
            web.timeout = TimeoutSeconds;
            return Run(web, request, cancel, () => web.downloadHandler.text ?? "");
        }

        public Task<HttpResponse> StreamAsync(HttpRequest request, Action<string> onText, CancellationToken cancel)
        {
            var handler = new StreamingHandler(onText);
            var web = Build(request, handler);
            handler.Request = web;
            web.timeout = 0;
            return Run(web, request, cancel, () => handler.ErrorBody.ToString());
        }

        private static UnityWebRequest Build(HttpRequest request, DownloadHandler download)
        {
            var web = new UnityWebRequest(request.Url, request.Method);
            web.downloadHandler = download;
            if (request.Body != null)
            {
                web.uploadHandler = new UploadHandlerRaw(Encoding.UTF8.GetBytes(request.Body));
                web.SetRequestHeader("Content-Type", "application/json");
            }
            foreach (var header in request.Headers)
                web.SetRequestHeader(header.Key, header.Value);
            return web;
        }

        private static Task<HttpResponse> Run(UnityWebRequest web, HttpRequest request, CancellationToken cancel, Func<string> body)
        {
            var done = new TaskCompletionSource<HttpResponse>();
            // A token's callbacks run on whichever thread cancels it (a timer's,
            // for CancelAfter); a UnityWebRequest is the main thread's to abort.
            var context = SynchronizationContext.Current;
            bool finished = false;
            Action abort = () => { if (!finished) web.Abort(); };
            var registration = cancel.Register(() =>
            {
                if (context != null) context.Post(_ => abort(), null);
                else abort();
            });
            web.SendWebRequest().completed += _ =>
            {
                finished = true;
                registration.Dispose();
                try
                {
                    if (cancel.IsCancellationRequested)
                        done.TrySetCanceled();
                    else if (web.responseCode == 0) // no HTTP answer at all
                        done.TrySetException(new PlayerbaseNetworkException(request.Method + " " + request.Url + ": " + web.error, null));
                    else
                        done.TrySetResult(ToResponse(web, body()));
                }
                finally
                {
                    web.Dispose();
                }
            };
            return done.Task;
        }

        private static HttpResponse ToResponse(UnityWebRequest web, string body)
        {
            var response = new HttpResponse { Status = (int)web.responseCode, Body = body };
            var headers = web.GetResponseHeaders();
            if (headers != null)
                foreach (var header in headers)
                    response.Headers[header.Key] = header.Value;
            return response;
        }

        /// <summary>Hands a 2xx body on as it arrives; keeps an error body whole.</summary>
        private sealed class StreamingHandler : DownloadHandlerScript
        {
            private readonly Action<string> onText;
            private readonly Decoder decoder = Encoding.UTF8.GetDecoder();
            public readonly StringBuilder ErrorBody = new StringBuilder();
            public UnityWebRequest Request;

            public StreamingHandler(Action<string> onText)
            {
                this.onText = onText;
            }

            protected override bool ReceiveData(byte[] data, int dataLength)
            {
                if (data == null || dataLength == 0) return true;
                var chars = new char[decoder.GetCharCount(data, 0, dataLength)];
                int count = decoder.GetChars(data, 0, dataLength, chars, 0);
                var text = new string(chars, 0, count);
                long status = Request != null ? Request.responseCode : 200;
                if (status >= 200 && status < 300) onText(text);
                else ErrorBody.Append(text);
                return true;
            }
        }
    }
}
#endif
