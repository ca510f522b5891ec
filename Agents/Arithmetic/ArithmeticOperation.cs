using static TorchSharp.torch;

namespace GridTime.Agents.Arithmetic;

/// <summary>The six target functions of the paper's static arithmetic task.</summary>
public enum ArithmeticOperation
{
    /// <summary>a + b.</summary>
    Add,

    /// <summary>a − b.</summary>
    Subtract,

    /// <summary>a × b.</summary>
    Multiply,

    /// <summary>a ÷ b.</summary>
    Divide,

    /// <summary>a².</summary>
    Square,

    /// <summary>√a.</summary>
    SquareRoot,
}

/// <summary>Helpers for <see cref="ArithmeticOperation"/>.</summary>
public static class ArithmeticOperations
{
    /// <summary>The operation as a formula, for tables.</summary>
    public static string Symbol(this ArithmeticOperation operation) => operation switch
    {
        ArithmeticOperation.Add => "a + b",
        ArithmeticOperation.Subtract => "a - b",
        ArithmeticOperation.Multiply => "a * b",
        ArithmeticOperation.Divide => "a / b",
        ArithmeticOperation.Square => "a^2",
        _ => "sqrt(a)",
    };

    /// <summary>The target for a batch of a [N] and b [N].</summary>
    public static Tensor Apply(this ArithmeticOperation operation, Tensor a, Tensor b) => operation switch
    {
        ArithmeticOperation.Add => a.Plus(b),
        ArithmeticOperation.Subtract => a - b,
        ArithmeticOperation.Multiply => a * b,
        ArithmeticOperation.Divide => a / b,
        ArithmeticOperation.Square => a * a,
        _ => a.sqrt(),
    };
}
