namespace Fabric.Jobs.Storage;

/// <summary>Bounds of what one job keeps.</summary>
/// <param name="MaxLogLines">Log lines kept per job; older ones are dropped (and counted).</param>
/// <param name="MaxLineLength">Longer log lines are cut to this many characters.</param>
public sealed record JobStoreOptions(int MaxLogLines = 1000, int MaxLineLength = 2000);
