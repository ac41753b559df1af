using System;

namespace Playerbase
{
    /// <summary>The server's one error shape: <c>{"error": {"code", "message"}}</c>.</summary>
    [Serializable]
    public class ErrorBody
    {
        public ErrorDetail error;
    }

    [Serializable]
    public class ErrorDetail
    {
        public string code;
        public string message;
    }

    /// <summary>
    /// The server answered with an error status. <see cref="Code"/> is the
    /// stable machine-readable code (<c>username_taken</c>, <c>unauthorized</c>, …).
    /// </summary>
    public class PlayerbaseException : Exception
    {
        public readonly int Status;
        public readonly string Code;
        /// <summary>For 429: how long the server asked to wait; otherwise zero.</summary>
        public readonly TimeSpan RetryAfter;

        public PlayerbaseException(int status, string code, string message, TimeSpan retryAfter)
            : base(status + " " + code + ": " + message)
        {
            Status = status;
            Code = code;
            RetryAfter = retryAfter;
        }
    }

    /// <summary>The server could not be reached, or the connection broke before an answer.</summary>
    public class PlayerbaseNetworkException : Exception
    {
        public PlayerbaseNetworkException(string message, Exception inner) : base(message, inner) { }
    }
}
