namespace Fabric.Core.Tests;

public sealed class BootWaitLabelTests
{
    [Theory]
    [InlineData("1", true, 1)]
    [InlineData("30", true, 30)]
    [InlineData("3600", true, 3600)]
    [InlineData("0", false, 0)]
    [InlineData("3601", false, 0)]
    [InlineData("", false, 0)]
    [InlineData(null, false, 0)]
    [InlineData("-5", false, 0)]
    [InlineData("+5", false, 0)]
    [InlineData(" 5", false, 0)]
    [InlineData("5s", false, 0)]
    [InlineData("1e3", false, 0)]
    [InlineData("٥", false, 0)]
    [InlineData("99999999999", false, 0)]
    public void TryParse_Value_AcceptsOnlyPlainSecondsInRange(string? value, bool ok, int seconds)
    {
        Assert.Equal(ok, BootWaitLabel.TryParse(value, out int parsed));
        Assert.Equal(seconds, ok ? parsed : 0);
    }
}
