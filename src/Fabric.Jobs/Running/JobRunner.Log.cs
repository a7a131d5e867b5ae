using Microsoft.Extensions.Logging;

namespace Fabric.Jobs.Running;

/// <summary>The runner's log messages; event IDs 1100-1199 belong to Fabric.Jobs.</summary>
internal sealed partial class JobRunner
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "job {Job} queued: {Kind} on {Node} by {Actor}")]
        public static partial void Queued(ILogger logger, long job, string kind, string? node, string actor);

        [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "job {Job} started: {Kind} on {Node}, attempt {Attempt}")]
        public static partial void Started(ILogger logger, long job, string kind, string? node, int attempt);

        [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "job {Job} ({Kind}) {State}: {Error}")]
        public static partial void Finished(ILogger logger, long job, string kind, string state, string? error);

        [LoggerMessage(EventId = 7003, Level = LogLevel.Error, Message = "job {Job}: the {Kind} handler threw")]
        public static partial void HandlerThrew(ILogger logger, Exception exception, long job, string kind);

        [LoggerMessage(EventId = 7004, Level = LogLevel.Error, Message = "job {Job}: its final state could not be recorded")]
        public static partial void FinalWriteFailed(ILogger logger, Exception exception, long job);
    }
}
