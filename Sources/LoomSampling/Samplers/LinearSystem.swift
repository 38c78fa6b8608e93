/// Solves the small dense system A·x = b by Gaussian elimination with partial pivoting (the LU
/// factorisation `torch.linalg.solve` runs), in the precision of the entries.
func solveLinearSystem<Scalar: BinaryFloatingPoint>(_ a: [[Scalar]], _ b: [Scalar]) -> [Scalar] {
    var a = a, b = b
    let n = b.count
    for column in 0..<n {
        let pivot = (column..<n).max { abs(a[$0][column]) < abs(a[$1][column]) }!
        a.swapAt(column, pivot)
        b.swapAt(column, pivot)
        for row in (column + 1)..<n {
            let factor = a[row][column] / a[column][column]
            for k in column..<n { a[row][k] -= factor * a[column][k] }
            b[row] -= factor * b[column]
        }
    }
    var x = [Scalar](repeating: 0, count: n)
    for row in (0..<n).reversed() {
        let known = ((row + 1)..<n).reduce(Scalar(0)) { $0 + a[row][$1] * x[$1] }
        x[row] = (b[row] - known) / a[row][row]
    }
    return x
}
